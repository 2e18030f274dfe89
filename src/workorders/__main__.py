from workorders.cli import main

raise SystemExit(main())
