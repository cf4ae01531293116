"""What the tests share: in-memory fakes of the ports, test data and builders."""
