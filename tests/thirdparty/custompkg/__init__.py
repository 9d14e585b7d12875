"""A user's package with a module and a function pt2r has no converter for (tests/test_converters.py).

``custompkg.LazyNet`` is imported on first use, as transformers imports its models."""


def __getattr__(name):
    if name == "LazyNet":
        import importlib
        return importlib.import_module("custompkg.lazy").LazyNet
    raise AttributeError(name)
