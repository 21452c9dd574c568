# Line and cell magics that public notebooks use.
# %%
%matplotlib inline
# %%
%time total = sum(range(10_000))
# %%
total
# %%
%%time
squares = [i * i for i in range(1000)]
len(squares)
# %%
%timeit -n 10 -r 2 sum(range(100))
# %%
result = %timeit -o -q -n 5 -r 2 sorted(range(50))
type(result).__name__
# %%
%%capture captured
print("this is captured")
print("and so is this")
# %%
captured.stdout
# %%
captured.show()
# %%
a_number = 7
a_string = "seven"
a_list = [7]
%who
# %%
%who int
# %%
%who_ls str
# %%
%whos
# %%
%pwd
# %%
%cd /tmp
# %%
%cd /mnt/data
# %%
%env LANG
# %%
%env MY_FLAG=1
import os
os.environ["MY_FLAG"]
# %%
%%writefile helper.py
def double(x):
    return 2 * x
# %%
from helper import double
double(21)
# %%
%load_ext autoreload
# %%
%autoreload 2
# %%
%precision 3
3.14159265
# %%
%precision %r
# %%
%history -n 1-3
# %%
%config InlineBackend.figure_format = "png"
# %%
%lsmagic
# %%
%notamagic
# %%
%%notacellmagic
x = 1
# %%
%xmode Plain
# %%
%xmode Context
# %%
%reset_selective -f a_
# %%
"a_number" in dir()
# %%
%%html
<b>cell magic html</b>
# %%
%%markdown
## cell magic markdown
# %%
%%bash
echo from bash
echo to stderr >&2
# %%
%%sh
echo from sh
# %%
%run helper.py
double(4)
# %%
%time
# %%
%alias_magic t time
# %%
%t 1 + 1
