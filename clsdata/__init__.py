"""clsdata command-line interface (a thin skin over pipeline/, warehouse/ and flows/)."""
