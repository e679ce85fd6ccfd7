# The warning set every target in the tree is built with (STYLE.md: warnings are errors, never
# turned off tree-wide).
add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
                    -Werror)
