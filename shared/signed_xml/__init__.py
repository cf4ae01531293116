"""The signed-XML channel: an enveloped XML signature verified and read as an application."""
