"""The window: Qt widgets over the Qt-free core. Depends on core, never the other way."""
