# Python peer of loop.mlp (top level, so globals, as in mlp).
i = 0
s = 0
while i < 10_000_000:
    i += 1
    s += i
print("sum =", s)
