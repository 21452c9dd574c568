# Progress output: \r updates, tqdm, clear_output loops, flush=True prints.
# %%
import sys, time
for i in range(0, 101, 20):
    sys.stdout.write(f"\rprogress {i:3d}%")
    sys.stdout.flush()
print()
# %%
for i in range(5):
    print(f"\r{i + 1}/5", end="", flush=True)
print("\ndone")
# %%
for i in range(3):
    print(f"epoch {i}: loss={1 / (i + 1):.3f}")
# %%
from tqdm import tqdm
total = 0
for i in tqdm(range(50), file=sys.stdout, ncols=60, mininterval=0, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt}"):
    total += i
total
# %%
from tqdm.auto import tqdm as auto_tqdm
for _ in auto_tqdm(range(10), file=sys.stdout, ncols=60, mininterval=0, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt}"):
    pass
# %%
from IPython.display import clear_output
for step in range(4):
    clear_output(wait=True)
    print(f"training step {step}")
# %%
from IPython.display import display, Markdown
h = display(Markdown("0%"), display_id=True)
for p in (25, 50, 75, 100):
    h.update(Markdown(f"{p}%"))
# %%
bar = ""
for i in range(10):
    bar += "#"
    sys.stderr.write("\r" + bar.ljust(10, "."))
sys.stderr.write("\n")
# %%
print("line one\rLINE ONE")
# %%
print("a\r\nb")
# %%
for i in range(3):
    sys.stdout.write(f"\rcount {i}")
sys.stdout.write("\n")
print("after")
