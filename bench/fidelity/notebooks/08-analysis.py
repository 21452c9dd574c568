# Analysis the way model transcripts go: numpy, scipy, sklearn, statsmodels, file output.
# %%
import numpy as np
import pandas as pd
rng = np.random.default_rng(42)
data = rng.normal(loc=10, scale=2, size=200)
data[:5].round(3)
# %%
print(f"mean={data.mean():.3f} std={data.std():.3f}")
# %%
np.percentile(data, [25, 50, 75]).round(2)
# %%
from scipy import stats
res = stats.ttest_1samp(data, 10)
round(float(res.statistic), 4), round(float(res.pvalue), 4)
# %%
stats.describe(data).nobs
# %%
x = np.arange(20, dtype=float)
y = 3 * x + 2 + rng.normal(size=20)
slope, intercept = np.polyfit(x, y, 1)
print(round(slope, 2), round(intercept, 2))
# %%
from sklearn.linear_model import LinearRegression
model = LinearRegression().fit(x.reshape(-1, 1), y)
model.coef_.round(2), round(float(model.intercept_), 2)
# %%
model
# %%
from sklearn.datasets import load_iris
iris = load_iris(as_frame=True)
iris.frame.head()
# %%
iris.frame.groupby("target").mean().round(2)
# %%
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
Xtr, Xte, ytr, yte = train_test_split(iris.data, iris.target, random_state=0)
clf = DecisionTreeClassifier(random_state=0).fit(Xtr, ytr)
round(clf.score(Xte, yte), 3)
# %%
from sklearn.metrics import confusion_matrix
confusion_matrix(yte, clf.predict(Xte))
# %%
import statsmodels.api as sm
ols = sm.OLS(y, sm.add_constant(x)).fit()
ols.params.round(2)
# %%
frame = pd.DataFrame({"x": x, "y": y.round(2)})
frame.to_excel("frame.xlsx", index=False)
pd.read_excel("frame.xlsx").shape
# %%
frame.to_json("frame.json", orient="records")
len(open("frame.json").read()) > 10
# %%
import json
with open("summary.json", "w") as f:
    json.dump({"slope": round(float(slope), 2)}, f)
print(open("summary.json").read())
# %%
import matplotlib.pyplot as plt
plt.scatter(x, y)
plt.plot(x, slope * x + intercept, color="red")
plt.title("fit")
# %%
matrix = np.arange(12).reshape(3, 4)
matrix
# %%
matrix.T @ matrix
# %%
np.linalg.eigvals(np.array([[2.0, 0.0], [0.0, 3.0]]))
# %%
big = np.arange(2000)
big
# %%
{"numbers": list(range(30)), "nested": {"a": [1, 2], "b": "text"}}
# %%
sorted({3, 1, 2, 5, 4})
# %%
{"b": 2, "a": 1}
# %%
list(range(40))
# %%
("tuple", 1, 2.5, None, True)
# %%
import datetime
datetime.date(2024, 5, 17)
# %%
import decimal
decimal.Decimal("1.10") + decimal.Decimal("2.20")
# %%
_ + 1
# %%
Out[3]
# %%
In[2]
# %%
x_squared = x ** 2
x_squared.sum();
