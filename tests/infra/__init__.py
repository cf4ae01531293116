"""CDK assertion tests on the synthesized template: encryption, DLQs, alarms, policies."""
