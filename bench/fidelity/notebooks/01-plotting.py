# Plotting as tutorials and model transcripts do it: %matplotlib inline, pyplot, subplots, seaborn, savefig.
# %%
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
# %%
x = np.linspace(0, 2 * np.pi, 200)
y = np.sin(x)
plt.plot(x, y)
# %%
plt.plot(x, np.cos(x));
# %%
plt.plot(x, y, label="sin")
plt.plot(x, np.cos(x), label="cos")
plt.legend()
plt.title("Waves")
plt.xlabel("x")
plt.ylabel("value")
# %%
fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(np.arange(10), np.arange(10) ** 2, c="tab:red")
ax.set_title("Squares")
plt.show()
# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 3))
axes[0].hist(np.random.default_rng(0).normal(size=500), bins=20)
axes[1].bar(["a", "b", "c"], [3, 5, 2])
fig.tight_layout()
# %%
fig
# %%
plt.figure()
plt.plot([1, 2, 3], [3, 1, 2])
plt.savefig("line.png")
print("saved")
# %%
plt.close("all")
print(len(plt.get_fignums()))
# %%
import seaborn as sns
tips = {"day": ["Thu", "Fri", "Sat", "Sun"] * 5, "total": list(range(20))}
sns.barplot(x="day", y="total", data=tips, errorbar=None)
# %%
sns.set_theme(style="whitegrid")
ax = sns.lineplot(x=list(range(10)), y=[v * v for v in range(10)])
ax.set(title="seaborn line")
# %%
plt.figure(figsize=(4, 4))
plt.imshow(np.arange(100).reshape(10, 10), cmap="viridis")
plt.colorbar()
plt.show()
# %%
for i in range(3):
    plt.figure()
    plt.plot(np.arange(5) * i)
    plt.title(f"figure {i}")
plt.show()
# %%
fig, ax = plt.subplots()
ax.pie([30, 45, 25], labels=["x", "y", "z"], autopct="%1.0f%%")
ax.set_aspect("equal")
# %%
plt.plot([1, 2, 3])
plt.close()
print("closed before the end of the cell")
# %%
fig = plt.figure()
fig.add_subplot(111).plot([0, 1], [1, 0])
display(fig)
plt.close(fig)
# %%
plt.rcParams["figure.figsize"] = (5, 3)
plt.plot(range(4))
plt.gcf().get_size_inches()
# %%
ax = plt.gca()
ax.plot([1, 4, 9])
type(ax).__name__
# %%
plt.boxplot([[1, 2, 3, 4, 10], [2, 3, 4, 5, 6]])
plt.title("boxes");
# %%
import matplotlib
matplotlib.get_backend() in ("agg", "Agg", "module://matplotlib_inline.backend_inline")
# %%
fig, ax = plt.subplots()
ax.plot([1, 2], [2, 1])
fig.savefig("saved_only.png")
plt.close(fig)
# %%
x = np.arange(5)
plt.errorbar(x, x ** 1.5, yerr=0.5, fmt="o")
plt.grid(True)
# %%
plt.subplot(2, 1, 1)
plt.plot([1, 2])
plt.subplot(2, 1, 2)
plt.plot([2, 1])
plt.suptitle("stacked")
# %%
print("no figure in this cell")
