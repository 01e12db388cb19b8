"""Rule files -> checked rules: YAML and .ie reading, the Lark parser (only in parser.py), AST
nodes, lexicons, declarations (schema), scoping, and the checks of names, macros, uses and
declarations (the E2xx checks that need the IR, E218, E220, E223, E224 and E227, are made
while lowering and compiling, in engine/).
"""
