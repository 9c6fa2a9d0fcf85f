"""Qt-free learning core."""
