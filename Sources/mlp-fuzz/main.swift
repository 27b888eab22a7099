// placeholder; the fuzzer is being written
print("fuzz: not yet")
