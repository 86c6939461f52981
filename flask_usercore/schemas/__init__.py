"""marshmallow 4 schemas, one module per capability."""
