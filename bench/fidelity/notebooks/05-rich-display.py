# IPython.display and objects' _repr_*_ methods.
# %%
from IPython.display import display, Markdown, HTML, JSON, Latex, Image, Math, Pretty, clear_output, update_display
# %%
display(Markdown("# A heading\n\nSome *emphasis*."))
# %%
Markdown("**bold** as a value")
# %%
display(HTML("<h3>Title</h3><p>paragraph</p>"))
# %%
HTML("<table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>")
# %%
display(JSON({"name": "codecell", "tags": ["a", "b"], "n": 3}))
# %%
display(Latex(r"$\int_0^1 x^2\,dx = \frac{1}{3}$"))
# %%
Math(r"e^{i\pi} + 1 = 0")
# %%
display(Pretty("pretty text"))
# %%
display("a string", 42, [1, 2, 3])
# %%
display({"key": "value"}, raw=False)
# %%
display({"text/plain": "raw plain", "text/markdown": "*raw md*"}, raw=True)
# %%
import io
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(2, 2))
ax.plot([1, 2, 1])
buf = io.BytesIO()
fig.savefig(buf, format="png")
plt.close(fig)
png_bytes = buf.getvalue()
display(Image(png_bytes))
# %%
Image(data=png_bytes, width=100)
# %%
handle = display(Markdown("step 0"), display_id=True)
for i in range(1, 4):
    handle.update(Markdown(f"step {i}"))
# %%
display(Markdown("named v1"), display_id="named")
update_display(Markdown("named v2"), display_id="named")
# %%
for i in range(5):
    clear_output(wait=True)
    print(f"iteration {i}")
# %%
print("will be cleared")
clear_output()
print("after clear")
# %%
class Card:
    def __init__(self, title):
        self.title = title
    def _repr_html_(self):
        return f"<div><b>{self.title}</b></div>"
    def _repr_markdown_(self):
        return f"**{self.title}**"
    def __repr__(self):
        return f"Card({self.title!r})"
Card("ace")
# %%
display(Card("king"))
# %%
class OnlyHtml:
    def _repr_html_(self):
        return "<i>only html</i>"
OnlyHtml()
# %%
class WithLatex:
    def _repr_latex_(self):
        return r"$\alpha$"
    def __repr__(self):
        return "WithLatex()"
WithLatex()
# %%
class WithJson:
    def _repr_json_(self):
        return {"x": 1}
    def __repr__(self):
        return "WithJson()"
WithJson()
# %%
class WithPretty:
    def _repr_pretty_(self, p, cycle):
        p.text("pretty printed!")
WithPretty()
# %%
class WithMimebundle:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": "bundle plain", "text/html": "<b>bundle</b>"}
WithMimebundle()
# %%
import sympy
x = sympy.symbols("x")
sympy.integrate(x ** 2, x)
# %%
sympy.Matrix([[1, 2], [3, 4]])
# %%
print("plain print still works")
