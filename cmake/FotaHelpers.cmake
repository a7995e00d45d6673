# Helpers shared by every folder. Each folder adds its own targets with these.

# Warnings are errors on our own code.
function(fota_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
endfunction()

# add_subdirectory() for each listed folder that has a CMakeLists.txt, so a folder takes part in the
# build as soon as it has real content.
function(fota_add_subdirectories)
  foreach(dir IN LISTS ARGN)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/CMakeLists.txt)
      add_subdirectory(${dir})
    endif()
  endforeach()
endfunction()

# add_subdirectory() for every immediate subfolder that has a CMakeLists.txt.
function(fota_add_all_subdirectories)
  file(GLOB children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
       ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT children)
  foreach(child IN LISTS children)
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${child}
       AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()

# fota_add_catch_test(NAME exe SOURCES ... [LIBS ...] [LABELS ...] [ARGS ...] [TIMEOUT s])
# A Catch2 v2 test executable registered as one CTest test.
function(fota_add_catch_test)
  cmake_parse_arguments(arg "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  add_executable(${arg_NAME} ${arg_SOURCES})
  target_link_libraries(${arg_NAME} PRIVATE fota_catch_main ${arg_LIBS})
  fota_target_warnings(${arg_NAME})
  add_test(NAME ${arg_NAME} COMMAND ${arg_NAME} ${arg_ARGS})
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 300)
  endif()
  set_tests_properties(${arg_NAME} PROPERTIES LABELS "${arg_LABELS}" TIMEOUT ${arg_TIMEOUT})
endfunction()

# fota_add_fuzzer(NAME name SOURCES ... [LIBS ...] [CORPUS dir] [DICT file])
# A libFuzzer target (only with FOTA_FUZZ, i.e. clang); CTest runs it for a few seconds with a
# fixed seed (label fuzz). By hand: <build>/.../<name> -runs=5000000 [corpus dir]
function(fota_add_fuzzer)
  if(NOT FOTA_FUZZ)
    return()
  endif()
  cmake_parse_arguments(arg "" "NAME;CORPUS;DICT" "SOURCES;LIBS" ${ARGN})
  add_executable(${arg_NAME} ${arg_SOURCES})
  target_link_libraries(${arg_NAME} PRIVATE ${arg_LIBS})
  target_compile_options(${arg_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_options(${arg_NAME} PRIVATE -fsanitize=fuzzer)
  fota_target_warnings(${arg_NAME})
  set(corpus_args)
  if(arg_CORPUS)
    # libFuzzer writes new inputs into the first corpus folder: give it a scratch one in the build.
    set(scratch ${CMAKE_CURRENT_BINARY_DIR}/${arg_NAME}-corpus)
    file(MAKE_DIRECTORY ${scratch})
    set(corpus_args ${scratch} ${arg_CORPUS})
  endif()
  if(arg_DICT)
    list(PREPEND corpus_args -dict=${arg_DICT})
  endif()
  add_test(NAME ${arg_NAME} COMMAND ${arg_NAME} -seed=1 -max_total_time=5 -timeout=10 ${corpus_args})
  set_tests_properties(${arg_NAME} PROPERTIES LABELS fuzz TIMEOUT 120)
endfunction()
