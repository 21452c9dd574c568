# pandas display: head(), describe(), display(df), groupby, styled and wide frames.
# %%
import pandas as pd
import numpy as np
# %%
df = pd.DataFrame({
    "city": ["Oslo", "Lima", "Pune", "Oslo", "Lima", "Pune", "Oslo", "Lima"],
    "year": [2020, 2020, 2020, 2021, 2021, 2021, 2022, 2022],
    "sales": [10.5, 7.25, 3.0, 12.0, 8.5, 4.75, 13.25, 9.0],
    "units": [3, 2, 1, 4, 3, 2, 5, 3],
})
df.head()
# %%
df.shape
# %%
df.dtypes
# %%
df.describe()
# %%
display(df.tail(3))
# %%
df.info()
# %%
df.groupby("city")["sales"].sum()
# %%
df.groupby(["city", "year"]).agg(total=("sales", "sum"), n=("units", "count"))
# %%
pivot = df.pivot_table(index="city", columns="year", values="sales")
pivot
# %%
df["price"] = df["sales"] / df["units"]
df.round(2)
# %%
df.sort_values("sales", ascending=False).head(3)
# %%
df[df["city"] == "Oslo"]
# %%
df["city"].value_counts()
# %%
df.isna().sum()
# %%
s = pd.Series([1, 2, None, 4], name="values")
s
# %%
s.fillna(0).astype(int).tolist()
# %%
pd.date_range("2024-01-01", periods=4, freq="D")
# %%
ts = pd.Series(range(6), index=pd.date_range("2024-01-01", periods=6, freq="h"))
ts.resample("2h").sum()
# %%
wide = pd.DataFrame(np.arange(60).reshape(3, 20), columns=[f"col_{i}" for i in range(20)])
wide
# %%
long = pd.DataFrame({"n": range(100)})
long
# %%
df.to_csv("sales.csv", index=False)
pd.read_csv("sales.csv").shape
# %%
merged = df.merge(pd.DataFrame({"city": ["Oslo", "Lima"], "country": ["NO", "PE"]}), on="city", how="left")
merged[["city", "country"]].drop_duplicates()
# %%
df.corr(numeric_only=True).round(3)
# %%
df.plot(x="year", y="sales", kind="scatter")
# %%
df.groupby("city")["sales"].mean().plot(kind="bar");
# %%
display(df.head(2), df.tail(2))
# %%
df.style.format({"sales": "{:.1f}"}).hide(axis="index").to_html()[:15]
# %%
pd.set_option("display.max_rows", 6)
long
# %%
df.loc[0]
# %%
print(df.to_string(index=False))
