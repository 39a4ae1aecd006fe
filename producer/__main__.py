from producer.cli import main

# Guarded: worker processes (forkserver/spawn) import the main module again.
if __name__ == "__main__":
    main()
