# Shared target conventions for mockforge's own code.
#
#   mockforge_library(name SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...] [ASIO])
#   mockforge_test(name SOURCES ... [DEPS ...] [LABELS ...])
#   mockforge_fuzzer(name SOURCE file CORPUS dir... DEPS ... [REPLAY_RUNS N])
#   (REPLAY_RUNS: the ctest replay's budget of mutated inputs; see replay_driver.cpp)
#
# ASIO marks a target whose sources include Boost.Asio/Beast: it gets the
# shared precompiled header. Headers that most files include stay Asio-free.

get_filename_component(MOCKFORGE_SOURCE_ROOT ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)
include(GNUInstallDirs)

function(mockforge_apply_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wnon-virtual-dtor)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # g++ 12 with optimisation reports Boost.Asio's coroutine frame allocator
    # (awaitable_frame_base::operator new/delete) as mismatched: a false positive.
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang before 16 leaves sized deallocation (core/small_pool.h) off by default.
    target_compile_options(${target} PRIVATE -fsized-deallocation)
  endif()
  if(MOCKFORGE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  target_compile_definitions(${target} PUBLIC
    BOOST_ASIO_SEPARATE_COMPILATION
    BOOST_BEAST_SEPARATE_COMPILATION
    BOOST_ASIO_NO_DEPRECATED)
  if(MOCKFORGE_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
  if(MOCKFORGE_LIBFUZZER)
    # Coverage instrumentation (edges, comparisons) for every library, not only
    # the fuzz targets' own files: without it libFuzzer sees no new coverage in
    # the code it is meant to explore. The fuzz targets add -fsanitize=fuzzer,
    # which links the runtime.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  if(MOCKFORGE_TSAN)
    # -Wno-tsan: g++ warns that TSan does not model std::atomic_thread_fence,
    # which Asio's headers use; the warning is about those headers, not our code.
    target_compile_options(${target} PUBLIC -fsanitize=thread -Wno-tsan)
    target_link_options(${target} PUBLIC -fsanitize=thread)
  endif()
endfunction()

function(mockforge_use_asio_pch target)
  if(TARGET mockforge_asio_pch_host)
    target_precompile_headers(${target} REUSE_FROM mockforge_asio_pch_host)
  endif()
endfunction()

function(mockforge_library name)
  cmake_parse_arguments(ARG "ASIO" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${MOCKFORGE_SOURCE_ROOT}>
    $<BUILD_INTERFACE:${CMAKE_BINARY_DIR}/generated>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/mockforge>)
  # The embeddable server's libraries are installed (cmake/MockforgeInstall.cmake);
  # the CLI's are linked into the binary only.
  file(RELATIVE_PATH rel ${MOCKFORGE_SOURCE_ROOT} ${CMAKE_CURRENT_SOURCE_DIR})
  if(NOT rel MATCHES "^(cli|tests|bench)(/|$)")
    set_property(GLOBAL APPEND PROPERTY MOCKFORGE_INSTALLED_LIBRARIES ${name})
  endif()
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  mockforge_apply_options(${name})
endfunction()

function(mockforge_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_include_directories(${name} PRIVATE ${MOCKFORGE_SOURCE_ROOT})
  mockforge_apply_options(${name})
  include(GoogleTest)
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${ARG_LABELS}" ENVIRONMENT "MOCKFORGE_SOURCE_DIR=${MOCKFORGE_SOURCE_ROOT};MOCKFORGE_BINARY_DIR=${CMAKE_BINARY_DIR}")
endfunction()

# A fuzz target exports LLVMFuzzerTestOneInput. With MOCKFORGE_LIBFUZZER (clang)
# it links against libFuzzer; otherwise it links a replay driver and runs as a
# ctest over its seed corpus plus deterministic mutations of it. CORPUS lists
# directories: the first is the target's own corpus, which scripts/fuzz.sh
# merges new inputs into; the others are read-only seeds (golden frames).
function(mockforge_fuzzer name)
  cmake_parse_arguments(ARG "" "SOURCE;REPLAY_RUNS" "CORPUS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCE})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  mockforge_apply_options(${name})
  # `fuzzers` builds every fuzz target (what CI builds in the fuzz preset).
  if(NOT TARGET fuzzers)
    add_custom_target(fuzzers)
  endif()
  add_dependencies(fuzzers ${name})
  if(MOCKFORGE_LIBFUZZER)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    # For scripts/fuzz.sh: the binary, then one line per corpus directory,
    # the target's own first.
    list(JOIN ARG_CORPUS "\n" corpus_lines)
    file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/fuzz-targets/${name}
         CONTENT "$<TARGET_FILE:${name}>\n${corpus_lines}\n")
  else()
    target_sources(${name} PRIVATE ${MOCKFORGE_SOURCE_ROOT}/tests/fuzz/replay_driver.cpp)
    set(replay_args ${ARG_CORPUS})
    if(ARG_REPLAY_RUNS)
      list(APPEND replay_args --runs=${ARG_REPLAY_RUNS})
    endif()
    add_test(NAME ${name} COMMAND ${name} ${replay_args})
    set_tests_properties(${name} PROPERTIES LABELS "fuzz")
  endif()
endfunction()
