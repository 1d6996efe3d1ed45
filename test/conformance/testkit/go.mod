module pot-task-driver/test/conformance/testkit

go 1.23
