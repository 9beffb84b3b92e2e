"""The platform's own face: the home page's public facts and the menus each role sees."""
