"""Looking inside a model: probes (hidden states, gradients through time, gates), how far back the
gradient reaches, the recurrence unrolled and term by term, one step in detail, neurons and
clamping, trajectories, the diagnosis in plain words, anomalies in a series."""
