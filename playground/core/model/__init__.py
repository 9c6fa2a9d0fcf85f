"""The networks: the sequence model (encoder, recurrent or reference core, head), the step-by-step cells
that re-run torch's fused layers for inspection, and the encoder-decoder for dialogs."""
