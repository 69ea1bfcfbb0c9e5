print("flotilla-bench")
