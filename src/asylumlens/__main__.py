from asylumlens.cli import main

main()
