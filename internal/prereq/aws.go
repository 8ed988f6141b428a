package prereq

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// AWSEnv is the environment for the aws CLI or boto3 in a test: this
// process's, without its AWS_ settings (except a CA bundle), with
// AWS_DATA_PATH pointing at the API models in models/, so that an older
// CLI or botocore knows the operations kafkalink serves, and then extra.
func AWSEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			env = append(env, kv)
		}
	}
	_, file, _, _ := runtime.Caller(0)
	env = append(env, "AWS_DATA_PATH="+filepath.Join(filepath.Dir(file), "models"), "AWS_EC2_METADATA_DISABLED=true")
	return append(env, extra...)
}
