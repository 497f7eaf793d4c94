# Included from cli/CMakeLists.txt: the MQTT and AMQP client commands and the
# shared cli/net helpers, linked into the mockforge binary.
if(NOT TARGET mockforge_cli_net)
  add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/../net ${CMAKE_CURRENT_BINARY_DIR}/net)
endif()
add_subdirectory(${CMAKE_CURRENT_LIST_DIR} ${CMAKE_CURRENT_BINARY_DIR}/mqtt)
add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/../amqp ${CMAKE_CURRENT_BINARY_DIR}/amqp)
target_sources(mockforge PRIVATE ${CMAKE_CURRENT_LIST_DIR}/clients.cpp)
target_link_libraries(mockforge PRIVATE mockforge_cli_mqtt_commands mockforge_cli_amqp_commands)
