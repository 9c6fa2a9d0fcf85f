"""The parts of an exported script that take training beyond one process and beyond memory.

``DISTRIBUTED``: ``torchrun --nproc_per_node N OUT.py train ...`` runs N copies of the script that
train one model together (DistributedDataParallel, gloo on CPUs, nccl on CUDA GPUs). Without
torchrun's environment the script is one process and takes the very steps it always took.

The corpus map (``CORPUS``) is in ``corpus.py``. Both are script text (``script.render`` joins them
in), so they use only torch, numpy and the standard library.
"""

DISTRIBUTED = r'''
# --------------------------------------------------------------------------------------------------
# Several processes: `torchrun --standalone --nproc_per_node N script.py train ...` starts N copies of
# this script, each told its RANK and the WORLD_SIZE in its environment. Every copy holds the whole
# model and the file's batch generator, draws each global batch (--batch-size sequences) exactly as
# one process would and keeps its own slice of it; DistributedDataParallel averages the gradients,
# so every copy takes the same step, and that step is the one a single process takes on the whole
# batch. Only rank 0 prints progress and writes the model file. Without torchrun: one process.
class Group:
    """Where this process stands in a torchrun run: its rank, how many there are (world) and its
    rank on this machine (local, which picks its GPU)."""

    def __init__(self, rank=0, world=1, local=0, launched=False):
        self.rank, self.world, self.local = rank, world, local
        self.launched = launched  # started by torchrun (even as its only process): a process group

    @classmethod
    def from_environment(cls):
        if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
            return cls()
        try:
            rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
            local = int(os.environ.get("LOCAL_RANK", rank))
        except ValueError:
            raise UsageError("RANK, WORLD_SIZE and LOCAL_RANK must be whole numbers (torchrun sets them)") from None
        if not 0 <= rank < world or local < 0:
            raise UsageError(f"RANK {rank} is not one of WORLD_SIZE {world} processes (torchrun sets them)")
        return cls(rank, world, local, launched=True)

    @property
    def lead(self):
        """Rank 0: the process that prints progress and writes the model file."""
        return self.rank == 0

    def start(self, device, batch_size):
        """Join the other processes (gloo on the CPU, nccl on CUDA GPUs, each rank on the GPU of its
        LOCAL_RANK); the device this process trains on. Without torchrun nothing starts."""
        if not self.launched:
            return device
        if batch_size % self.world:
            raise UsageError(f"--batch-size {batch_size} does not split into {self.world} equal parts: "
                             f"give a multiple of {self.world}")
        if device.type == "mps":
            raise UsageError("torchrun with --device mps: torch has no way to join Apple GPUs; use --device cpu")
        if device.type == "cuda":
            if self.local >= torch.cuda.device_count():
                raise UsageError(f"LOCAL_RANK {self.local}: this machine has {torch.cuda.device_count()} CUDA GPUs; "
                                 "start at most that many processes here (--nproc_per_node)")
            device = torch.device("cuda", self.local)
            torch.cuda.set_device(device)
        if device.type == "cuda":  # torchrun's address and port
            dist.init_process_group("nccl", device_id=device)
        else:
            dist.init_process_group("gloo")
        return device

    def stop(self, together=True):
        """Leave the group. `together`: after the others have finished too (a last barrier), as gloo
        may abort a process that tears its connections down while a peer still uses them; not
        after a peer has failed (there is no one left to wait for)."""
        if not (dist.is_available() and dist.is_initialized()):
            return
        if together:
            try:
                dist.barrier()
            except RuntimeError:
                pass
        dist.destroy_process_group()

    def wrap(self, model, device):
        """The model whose backward averages the gradients over the processes (itself without torchrun)."""
        if not self.launched:
            return model
        return nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    def mine(self, x, y):
        """This process's slice of a global batch: rows rank * B/world up to the next rank's."""
        if self.world == 1:
            return x, y
        part = len(x) // self.world
        return x[self.rank * part : (self.rank + 1) * part], y[self.rank * part : (self.rank + 1) * part]

    def mean(self, value):
        """The mean of a 0-d tensor over the processes: each holds the mean loss of an equal slice,
        so this is the loss of the whole batch, the same number on every process."""
        if self.launched:
            value = value.clone()
            dist.all_reduce(value)
            value /= self.world
        return value

    def barrier(self):
        if self.launched:
            dist.barrier()

    def say(self, text, file=None):
        """Print on rank 0 only (the others would repeat it)."""
        if self.lead:
            print(text, file=file or sys.stdout, flush=True)
'''
