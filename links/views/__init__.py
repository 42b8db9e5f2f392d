"""The links app's screens, one module per screen."""
