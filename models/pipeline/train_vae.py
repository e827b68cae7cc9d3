"""Train the image VAE on backbone features and export its encoder mean to ONNX.

Kingma & Welling, "Auto-Encoding Variational Bayes" (2014), with the beta weighting of Higgins et al.,
"beta-VAE" (2017):  loss = E_q[ ||x - dec(z)||^2 ] + beta * KL(q(z|x) || N(0, I)),
q(z|x) = N(mu(x), diag(exp(logvar(x)))), z = mu + exp(logvar/2) * eps (reparameterisation).
KL per row = -1/2 * sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j)).

Inputs are standardised per dimension with the training rows' mean/std; that standardisation is
written INTO the exported graph, so `vae_encoder.onnx` takes the raw 1280-d features:
  features -> Sub(mean) -> Div(std) -> Gemm(W1,b1) -> Relu -> Gemm(W_mu,b_mu) -> mu.
Everything is seeded, single-threaded and CPU-only, so the same inputs give byte-identical ONNX.

Usage: /usr/bin/python3 models/pipeline/train_vae.py --features F.csv --index I.csv --out vae_encoder.onnx
       --metrics metrics.json [--latent 32 --hidden 256 --beta 0.05 --epochs 300 --seed 42 --holdout 0.2]
"""
import argparse
import csv
import json
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper


def parse_args(argv):
    p = argparse.ArgumentParser()
    p.add_argument('--features', required=True, help='img_vectors.csv: one row of 1280 floats per image, no header')
    p.add_argument('--index', required=True, help='row,file,label for each row of the features file')
    p.add_argument('--out', required=True)
    p.add_argument('--metrics', required=True)
    p.add_argument('--latent', type=int, default=32)
    p.add_argument('--hidden', type=int, default=256)
    p.add_argument('--beta', type=float, default=0.05)
    p.add_argument('--epochs', type=int, default=300)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--holdout', type=float, default=0.2)
    p.add_argument('--norm', choices=['center', 'standardize'], default='center')
    p.add_argument('--weight-decay', type=float, default=0.0)
    p.add_argument('--mu-out', help='optional CSV of the torch mu of every row')
    return p.parse_args(argv)


class Vae(torch.nn.Module):
    def __init__(self, dim, hidden, latent):
        super().__init__()
        self.enc = torch.nn.Linear(dim, hidden)
        self.mu = torch.nn.Linear(hidden, latent)
        self.logvar = torch.nn.Linear(hidden, latent)
        self.dec1 = torch.nn.Linear(latent, hidden)
        self.dec2 = torch.nn.Linear(hidden, dim)

    def encode(self, x):
        h = torch.relu(self.enc(x))
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        return self.dec2(torch.relu(self.dec1(z)))


def losses(model, x, sample, generator=None):
    """Per-row mean reconstruction MSE (over dims) and KL (summed over latent dims), averaged over rows."""
    mu, logvar = model.encode(x)
    if sample:
        eps = torch.randn(mu.shape, generator=generator)
        z = mu + torch.exp(0.5 * logvar) * eps
    else:
        z = mu
    recon = ((model.decode(z) - x) ** 2).mean(dim=1).mean()
    kl = (-0.5 * (1 + logvar - mu ** 2 - torch.exp(logvar)).sum(dim=1)).mean()
    return recon, kl


def loo_1nn_accuracy(vectors, labels):
    """Leave-one-out 1-NN label agreement under cosine similarity."""
    v = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sim = v @ v.T
    np.fill_diagonal(sim, -np.inf)
    nn = sim.argmax(axis=1)
    return float(np.mean(labels[nn] == labels))


def export_encoder(model, mean, std, path):
    """Encoder mean as an ONNX graph (opset 13), standardisation included, dynamic batch."""
    def t(name, array):
        return numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name)

    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    inits = [t('feature_mean', mean), t('feature_std', std),
             t('enc_w', sd['enc.weight']), t('enc_b', sd['enc.bias']),
             t('mu_w', sd['mu.weight']), t('mu_b', sd['mu.bias'])]
    nodes = [
        helper.make_node('Sub', ['features', 'feature_mean'], ['centred'], name='centre'),
        helper.make_node('Div', ['centred', 'feature_std'], ['standardised'], name='scale'),
        helper.make_node('Gemm', ['standardised', 'enc_w', 'enc_b'], ['hidden_pre'], name='enc', transB=1),
        helper.make_node('Relu', ['hidden_pre'], ['hidden'], name='enc_relu'),
        helper.make_node('Gemm', ['hidden', 'mu_w', 'mu_b'], ['mu'], name='mu', transB=1),
    ]
    latent = sd['mu.bias'].shape[0]
    graph = helper.make_graph(
        nodes, 'vae_encoder',
        [helper.make_tensor_value_info('features', TensorProto.FLOAT, ['N', mean.shape[0]])],
        [helper.make_tensor_value_info('mu', TensorProto.FLOAT, ['N', latent])],
        initializer=inits)
    m = helper.make_model(graph, producer_name='gift-recommender models/pipeline/train_vae.py', producer_version='1',
                          opset_imports=[helper.make_opsetid('', 13)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    with open(path, 'wb') as f:
        f.write(m.SerializeToString())


def main(argv):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(args.seed)

    x_all = np.loadtxt(args.features, delimiter=',', dtype=np.float64).astype(np.float32)
    with open(args.index) as f:
        index = list(csv.DictReader(f))
    labels = np.array([r['label'] for r in index])
    if len(index) != x_all.shape[0]:
        sys.exit(f'index has {len(index)} rows, features {x_all.shape[0]}')
    n, dim = x_all.shape

    perm = rng.permutation(n)
    n_hold = int(round(args.holdout * n))
    hold_idx, train_idx = np.sort(perm[:n_hold]), np.sort(perm[n_hold:])
    mean = x_all[train_idx].mean(axis=0)
    if args.norm == 'standardize':
        std = x_all[train_idx].std(axis=0) + 1e-3
    else:
        # One global scale (RMS of the centred training features) for every dimension: per-dimension
        # standardisation inflates near-constant channels and costs neighbours (catalog LOO 0.73 vs 0.77).
        rms = float(np.sqrt(((x_all[train_idx] - mean) ** 2).mean()))
        std = np.full(dim, rms, dtype=np.float32)
    z_all = torch.from_numpy(((x_all - mean) / std).astype(np.float32))
    x_train, x_hold = z_all[train_idx], z_all[hold_idx]

    model = Vae(dim, args.hidden, args.latent)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    gen = torch.Generator().manual_seed(args.seed)
    steps_per_epoch = (len(train_idx) + args.batch - 1) // args.batch
    report_every = max(1, args.epochs // 10)
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_idx), generator=gen)
        for s in range(steps_per_epoch):
            batch = x_train[order[s * args.batch:(s + 1) * args.batch]]
            recon, kl = losses(model, batch, sample=True, generator=gen)
            loss = recon + args.beta * kl / dim  # KL per input dim, to match the per-dim MSE scale
            opt.zero_grad()
            loss.backward()
            opt.step()
        if (epoch + 1) % report_every == 0 or epoch == 0:
            model.eval()
            with torch.no_grad():
                r_t, k_t = losses(model, x_train, sample=False)
                r_h, k_h = losses(model, x_hold, sample=False)
            print(f'[vae] epoch {epoch + 1}/{args.epochs}  recon train {r_t:.4f} held-out {r_h:.4f}  '
                  f'KL train {k_t:.2f} held-out {k_h:.2f}', flush=True)

    model.eval()
    with torch.no_grad():
        r_t, k_t = losses(model, x_train, sample=False)
        r_h, k_h = losses(model, x_hold, sample=False)
        mu_all = model.encode(z_all)[0].numpy()
    metrics = {
        'rows': n, 'train_rows': int(len(train_idx)), 'holdout_rows': int(len(hold_idx)),
        'reconstruction_mse_train': round(float(r_t), 6), 'reconstruction_mse_holdout': round(float(r_h), 6),
        'kl_train': round(float(k_t), 6), 'kl_holdout': round(float(k_h), 6),
        'reconstruction_note': 'mean squared error per standardised feature dimension, decoding z = mu',
        'catalog_loo_1nn_accuracy_raw': loo_1nn_accuracy(x_all, labels),
        'catalog_loo_1nn_accuracy_mu': loo_1nn_accuracy(mu_all, labels),
        'holdout_loo_1nn_accuracy_mu': loo_1nn_accuracy(mu_all[hold_idx], labels[hold_idx]),
        'holdout_loo_1nn_accuracy_raw': loo_1nn_accuracy(x_all[hold_idx], labels[hold_idx]),
        'hyperparameters': {'latent': args.latent, 'hidden': args.hidden, 'beta': args.beta, 'epochs': args.epochs,
                            'batch': args.batch, 'lr': args.lr, 'seed': args.seed, 'holdout': args.holdout,
                            'optimizer': 'Adam', 'activation': 'relu', 'norm': args.norm,
                            'weight_decay': args.weight_decay},
    }
    export_encoder(model, mean, std, args.out)
    if args.mu_out:
        # torch's mu for every row, so the build can check onnxruntime-node against it.
        np.savetxt(args.mu_out, mu_all.astype(np.float32), delimiter=',', fmt='%.9g')
    with open(args.metrics, 'w') as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
    print(f"[vae] catalog LOO 1-NN accuracy: raw {metrics['catalog_loo_1nn_accuracy_raw']:.3f}, "
          f"mu {metrics['catalog_loo_1nn_accuracy_mu']:.3f}; wrote {args.out}", flush=True)


if __name__ == '__main__':
    main(sys.argv[1:])
