package registry_test

import (
	"fmt"

	"github.com/heldsway/heldsway/codes/registry"
)

func ExampleForPlatform() {
	for _, p := range []string{registry.PlatformStripe, registry.PlatformWooCommerce, registry.PlatformPaddle} {
		c, err := registry.ForPlatform(" partner-john-x7 ", p)
		fmt.Println(p, c, err)
	}
	// Output:
	// stripe PARTNER-JOHN-X7 <nil>
	// woocommerce partner-john-x7 <nil>
	// paddle  registry: code not accepted by platform: paddle allows only letters and digits, "PARTNER-JOHN-X7" contains '-'
}
