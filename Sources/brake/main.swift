print("brake")
