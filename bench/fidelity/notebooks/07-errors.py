# Errors models make and read back: exceptions, syntax errors, bad magics, errors after output.
# %%
undefined_name
# %%
1 / 0
# %%
{"a": 1}["b"]
# %%
[1, 2, 3][10]
# %%
int("not a number")
# %%
def inner(x):
    return x["missing"]
def outer():
    return inner({})
outer()
# %%
print("printed before the error")
raise ValueError("bad value")
# %%
def broken(:
    pass
# %%
for i in range(3)
    print(i)
# %%
  indented = True
# %%
import not_a_module
# %%
from math import not_a_function
# %%
assert 1 + 1 == 3, "math is broken"
# %%
class CustomError(Exception):
    pass
raise CustomError("custom message")
# %%
import pandas as pd
pd.DataFrame({"a": [1]})["b"]
# %%
import numpy as np
np.zeros(3) + np.zeros(4)
# %%
"text" + 1
# %%
None.attribute
# %%
%nosuchmagic
# %%
%%nosuchcellmagic
body
# %%
raise SystemExit(3)
# %%
try:
    1 / 0
except ZeroDivisionError as e:
    raise RuntimeError("wrapped") from e
# %%
import warnings
warnings.warn("a user warning")
print("after the warning")
# %%
open("/mnt/data/does-not-exist.csv")
# %%
print("the kernel is still alive")
