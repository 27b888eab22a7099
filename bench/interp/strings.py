# Python peer of strings.mlp.
n = 200_000
words = []
i = 0
while i < n:
    words.append(f"w{i}")
    i += 1
text = " ".join(words)
parts = text.split(" ")
count = len(parts)
chars = 0
up = []
j = 0
for p in parts:
    chars += len(p)
    if j % 10 == 0:
        up.append(p.upper())
    else:
        up.append(p)
    j += 1
back = " ".join(up)
tail = ""
for k in range(1000):
    tail = tail + parts[k] + ","
print("words =", count, "chars =", chars, "len =", len(back), "upper =", back[0:40], "tail =", len(tail))
