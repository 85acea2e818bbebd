"""Sources: finding the files (walk.py) and parsing them into Documents with positions (parse.py)."""
