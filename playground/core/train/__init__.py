"""Training and what it rests on: the trainer (one optimizer step per call), model files (the checked
format, the schema, the atomic save), the memory budget, the device and the thread policy, where a
run may save, and comparisons of several architectures trained side by side."""
