"""The guest website's views (docs/website.md): each parses input, calls a selector or one
service, maps known errors to a message and renders a template."""
