module pot-task-driver/test/conformance/report

go 1.23
