package peers

// Int8PeersSource names where [Int8Peers] was copied from.
const Int8PeersSource = "../shared/bench/PEERS.md (x86-64, Debian 12, gcc 12.2 -O2, valgrind 3.19, 2026-11-21), int8 table (per-tensor symmetric weights, one shared calibration)"

// Int8Peers are the int8 figures of PEERS.md. The best peer is NNoM on ae_mlp and TFLite Micro
// with CMSIS-NN (portable C) on lenet5.
var Int8Peers = []PeerFigure{
	{"ae_mlp", "onnx2c", 2037338, 3376, 266100, 1280},
	{"ae_mlp", "TFLite Micro + CMSIS-NN", 1336710, 37531, 275400, 6352},
	{"ae_mlp", "NNoM", 964594, 16500, 266609, 6232},
	{"lenet5", "onnx2c", 4574806, 2580, 61934, 9408},
	{"lenet5", "TFLite Micro + CMSIS-NN", 3560280, 71752, 65584, 8512},
	{"lenet5", "NNoM", 5537301, 21000, 62083, 10856},
}

// BestInt8Peer returns the peer PEERS.md measures tcdse's int8 code against on a model.
func BestInt8Peer(model string) (PeerFigure, bool) {
	best := map[string]string{"ae_mlp": "NNoM", "lenet5": "TFLite Micro + CMSIS-NN"}[model]
	for _, p := range Int8Peers {
		if p.Model == model && p.Tool == best {
			return p, true
		}
	}
	return PeerFigure{}, false
}
