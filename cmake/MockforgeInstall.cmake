# What `cmake --install` puts on a machine, and the Debian packages CPack
# builds from it (docs/install.md):
#
#   bin/mockforge                          the binary            (component runtime)
#   share/doc/mockforge/                   README and docs       (component runtime)
#   share/mockforge/examples/              example configs       (component runtime)
#   include/mockforge/{core,faults,fixtures,watch,asyncapi,server}/   public headers (component dev)
#   lib/<arch>/mockforge/libmockforge_*.a  the embeddable server (component dev)
#   lib/<arch>/cmake/mockforge/            find_package(mockforge CONFIG):
#                                          mockforge::server, mockforge::gtest
#   lib/<arch>/pkgconfig/mockforge.pc, mockforge-gtest.pc
#
# Included last from the top-level CMakeLists.txt, once every target exists.

include(CMakePackageConfigHelpers)

set(MOCKFORGE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mockforge)
set(MOCKFORGE_ARCHIVE_DIR ${CMAKE_INSTALL_LIBDIR}/mockforge)

# ---- the binary, docs and example configurations ---------------------------------------------
install(TARGETS mockforge RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/mockforge/examples
        COMPONENT runtime
        PATTERN "build" EXCLUDE
        PATTERN "__pycache__" EXCLUDE)
install(DIRECTORY testkit/ DESTINATION ${CMAKE_INSTALL_DATADIR}/mockforge/testkit
        COMPONENT runtime
        PATTERN "__pycache__" EXCLUDE)

# ---- the embeddable server: libraries, headers, CMake package, pkg-config ---------------------
get_property(installed_libraries GLOBAL PROPERTY MOCKFORGE_INSTALLED_LIBRARIES)
set_target_properties(mockforge_server PROPERTIES EXPORT_NAME server)
if(TARGET mockforge_gtest)
  set_target_properties(mockforge_gtest PROPERTIES EXPORT_NAME gtest)
endif()
install(TARGETS ${installed_libraries}
        EXPORT mockforgeTargets
        ARCHIVE DESTINATION ${MOCKFORGE_ARCHIVE_DIR} COMPONENT dev)
foreach(dir core faults fixtures watch asyncapi server)
  install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mockforge/${dir}
          COMPONENT dev
          FILES_MATCHING PATTERN "*.h" PATTERN "*.def")
endforeach()
install(EXPORT mockforgeTargets NAMESPACE mockforge:: DESTINATION ${MOCKFORGE_CMAKE_DIR}
        COMPONENT dev)
configure_package_config_file(cmake/mockforgeConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/package/mockforgeConfig.cmake
                              INSTALL_DESTINATION ${MOCKFORGE_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/package/mockforgeConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/package/mockforgeConfig.cmake
              ${CMAKE_BINARY_DIR}/package/mockforgeConfigVersion.cmake
        DESTINATION ${MOCKFORGE_CMAKE_DIR} COMPONENT dev)

# pkg-config: static libraries need every library of the link closure, in
# link order. Walk the targets' link interfaces depth first; a library comes
# before everything it depends on.
function(mockforge_visit_links t)
  if(t IN_LIST visited)
    return()
  endif()
  list(APPEND visited ${t})
  get_target_property(deps ${t} LINK_LIBRARIES)
  get_target_property(interface_deps ${t} INTERFACE_LINK_LIBRARIES)
  foreach(dep IN LISTS deps interface_deps)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" dep "${dep}")
    if(dep IN_LIST installed_libraries)
      mockforge_visit_links(${dep})
    endif()
  endforeach()
  list(PREPEND order ${t})
  set(visited ${visited} PARENT_SCOPE)
  set(order ${order} PARENT_SCOPE)
endfunction()

function(mockforge_link_closure target out_libs)
  set(order)
  set(visited)
  mockforge_visit_links(${target})
  set(${out_libs} ${order} PARENT_SCOPE)
endfunction()

function(mockforge_pkg_config name description target requires)
  mockforge_link_closure(${target} closure)
  set(libs "")
  foreach(lib IN LISTS closure)
    string(APPEND libs " -l${lib}")
  endforeach()
  set(MOCKFORGE_PC_NAME ${name})
  set(MOCKFORGE_PC_DESCRIPTION ${description})
  set(MOCKFORGE_PC_REQUIRES ${requires})
  set(MOCKFORGE_PC_LIBS "-L\${libdir}/mockforge${libs} -pthread")
  configure_file(${MOCKFORGE_SOURCE_ROOT}/cmake/mockforge.pc.in
                 ${CMAKE_BINARY_DIR}/package/${name}.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/package/${name}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endfunction()

set(mockforge_pc_requires "fmt spdlog yaml-cpp nlohmann_json zlib libzstd liblz4 snappy libssl libcrypto")
mockforge_pkg_config(mockforge "mockforge's Kafka, MQTT and AMQP brokers, embeddable"
                     mockforge_server "${mockforge_pc_requires}")
if(TARGET mockforge_gtest)
  mockforge_pkg_config(mockforge-gtest "mockforge's GoogleTest fixture" mockforge_gtest
                       "${mockforge_pc_requires} gtest")
endif()

# ---- Debian packages: mockforge (binary) and mockforge-dev (library) -------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mockforge)
set(CPACK_PACKAGE_VENDOR "mockforge")
set(CPACK_PACKAGE_CONTACT "mockforge developers <mockforge@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Mock Kafka, MQTT and AMQP brokers for integration tests")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # mockforge_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME mockforge)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)  # Depends: from the binary's shared libraries
set(CPACK_DEBIAN_DEV_PACKAGE_NAME mockforge-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_ARCHITECTURE amd64)
# Static libraries: a user's build needs the headers and libraries they link
# (the compiler and build tool are the user's own, as for any -dev package).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "mockforge (= ${PROJECT_VERSION}), libboost1.81-dev, libfmt-dev, libspdlog-dev, libyaml-cpp-dev, nlohmann-json3-dev, libvalijson-dev, zlib1g-dev, libzstd-dev, liblz4-dev, libsnappy-dev, libssl-dev, libgtest-dev, libgmock-dev")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "Mock Kafka, MQTT and AMQP brokers for integration tests\n mockforge runs Kafka, MQTT 3.1.1/5 and AMQP 0-9-1 (RabbitMQ-compatible) brokers\n in one process for tests and CI, with fixtures and an admin HTTP API.")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "mockforge as a C++ library and GoogleTest fixture\n Headers, static libraries, a CMake package (mockforge::server,\n mockforge::gtest) and pkg-config files.")
include(CPack)
