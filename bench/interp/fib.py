# Python peer of fib.mlp.
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

print("fib(27) =", fib(27))
