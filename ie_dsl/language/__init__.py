"""Rule files -> checked rules: YAML and .ie reading, the Lark parser (only in parser.py), AST
nodes, lexicons, declarations (schema), scoping, and every E2xx check.
"""
