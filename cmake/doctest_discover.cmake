# Why: one CTest entry per doctest case where doctest's CMake helper exists (Debian, or a
# carried copy in MAE_DEPS_DIR); elsewhere the whole suite runs as a single CTest entry.
find_file(MAE_DOCTEST_CMAKE doctest.cmake
          PATHS ${MAE_DEPS_DIR}/doctest-cmake /usr/lib/cmake/doctest NO_DEFAULT_PATH)
if(MAE_DOCTEST_CMAKE)
  include(${MAE_DOCTEST_CMAKE})
endif()

function(mae_discover_doctests target)
  if(MAE_DOCTEST_CMAKE)
    # An entry that ran no case fails: a name CTest mangles (a ';' splits it in two, each
    # matching nothing) would otherwise pass without testing anything.
    doctest_discover_tests(${target} PROPERTIES TIMEOUT 900
                           FAIL_REGULAR_EXPRESSION "test cases: +0 [|]")
  else()
    add_test(NAME ${target} COMMAND ${target})
  endif()
endfunction()
