module pot-task-driver/test/gocty/cty114

// go-cty at the first release that sends big whole numbers as strings; test/gocty keeps Nomad v1.6.3's pin.

go 1.21

require github.com/zclconf/go-cty v1.14.4

require (
	github.com/apparentlymart/go-textseg/v15 v15.0.0 // indirect
	github.com/vmihailenco/msgpack/v5 v5.3.5 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	golang.org/x/text v0.11.0 // indirect
)
