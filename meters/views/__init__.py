"""The meters app's screens, one module per screen."""
