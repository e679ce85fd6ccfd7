# jiancha_unit(MODULE...): a cmocka test per module, tests/unit/MODULE_test.c, registered as
# unit.MODULE. Each layer of shared/ lists the tests of its own modules (as nng's src/core does).
find_package(PkgConfig REQUIRED)
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)

function(jiancha_unit)
    foreach(name ${ARGN})
        add_executable(${name}_test ${PROJECT_SOURCE_DIR}/tests/unit/${name}_test.c)
        target_include_directories(${name}_test PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
        target_link_libraries(${name}_test PRIVATE jiancha PkgConfig::CMOCKA)
        target_compile_definitions(${name}_test PRIVATE
            JIANCHA_TEST_VECTORS="${PROJECT_SOURCE_DIR}/tests/vectors")
        add_test(NAME unit.${name} COMMAND ${name}_test)
        set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT 120)
    endforeach()
endfunction()
