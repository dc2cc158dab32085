module berth.test/clusters/responder

go 1.26.0
