"""The application layer, without Qt: the session's state, the messages between the window and
training, and the jobs training runs. The window (playground.ui) shows and edits what lives here;
tests drive it without a window or a thread."""
