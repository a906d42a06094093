"""Small shared helpers: files written atomically, image grids."""
