# Python peer of closure.mlp.
def make():
    c = 0
    def inc():
        nonlocal c
        c += 1
        return c
    return inc

counter = make()
i = 0
last = 0
while i < 1_000_000:
    last = counter()
    i += 1
print("count =", last)
