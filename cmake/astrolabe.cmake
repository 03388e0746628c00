# Helpers shared by every folder's CMakeLists.txt.

# astrolabe_library(NAME SRCS a.cc b.cc DEPS lib1 lib2)
# One static library per architectural folder (DESIGN.md §3).
function(astrolabe_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# astrolabe_test(NAME SRCS a_test.cc DEPS lib1 [LABELS unit])
# A GoogleTest binary registered with ctest; tests run from the source folder so that
# testdata/ paths are relative to the code they test.
function(astrolabe_test name)
  if(NOT ASTROLABE_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "ASTROLABE_BINARY=${CMAKE_BINARY_DIR}/astrolabe;ASTROLABE_SHARED=${CMAKE_SOURCE_DIR}/../shared;ASTROLABE_GRPC_MODULE=${CMAKE_BINARY_DIR}/astrolabe-grpc.so"
    TIMEOUT 300)
  if(ARG_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
endfunction()
