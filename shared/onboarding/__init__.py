"""The applications API's use cases: one per route, each composing the subdomains it needs
(applications, contact, review, verification, signed XML) behind their ports. The one package that
sits above the subdomains of an application's path, so none of them has to import another upward."""
